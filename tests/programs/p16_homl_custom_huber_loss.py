# Source: https://github.com/ageron/handson-ml3/blob/main/12_custom_models_and_training_with_tensorflow.ipynb
# "Hands-On Machine Learning with Scikit-Learn, Keras and TensorFlow", 3rd edition,
# chapter 12: "Custom Loss Functions" (huber_fn written with tf.abs, tf.square, tf.where;
# the "nadam" optimizer; he_normal initialisation). Author: Aurélien Géron. Licence: Apache 2.0.
# Changed for the tests: the imports (below), the data (standin.housing_splits() and
# standin.standard_scale() in place of scikit-learn's fetch_california_housing,
# train_test_split and StandardScaler; targets as column vectors, as in the notebook),
# and the last line, which reports the key figures (`history =` keeps fit's result).
import os
if os.environ.get("REFERENCE") == "tensorflow":
    import tensorflow as tf
elif os.environ.get("REFERENCE"):
    import types
    import keras
    tf = types.SimpleNamespace(keras=keras)  # Keras 3 alone: only tf.keras is there
else:
    import fastnn as tf
from standin import housing_splits, standard_scale, report

X_train, X_valid, X_test, y_train, y_valid, y_test = housing_splits()
y_train, y_valid, y_test = y_train.reshape(-1, 1), y_valid.reshape(-1, 1), y_test.reshape(-1, 1)
X_train_scaled, X_valid_scaled, X_test_scaled = standard_scale(X_train, X_valid, X_test)

def huber_fn(y_true, y_pred):
    error = y_true - y_pred
    is_small_error = tf.abs(error) < 1
    squared_loss = tf.square(error) / 2
    linear_loss  = tf.abs(error) - 0.5
    return tf.where(is_small_error, squared_loss, linear_loss)

input_shape = X_train.shape[1:]

tf.keras.utils.set_random_seed(42)
model = tf.keras.Sequential([
    tf.keras.layers.Dense(30, activation="relu", kernel_initializer="he_normal",
                          input_shape=input_shape),
    tf.keras.layers.Dense(1),
])
model.compile(loss=huber_fn, optimizer="nadam", metrics=["mae"])
history = model.fit(X_train_scaled, y_train, epochs=2,
                    validation_data=(X_valid_scaled, y_valid))

test_loss, test_mae = model.evaluate(X_test_scaled, y_test)
report(loss=history.history["loss"][-1], val_loss=history.history["val_loss"][-1],
       test_loss=test_loss, test_mae=test_mae)
