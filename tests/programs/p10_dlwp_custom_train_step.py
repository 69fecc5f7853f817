# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/chapter07_deep-dive-keras.ipynb
# "Deep Learning with Python", 3rd edition, chapter 7: "Customizing what fit() does"
# (the TensorFlow version: train_step with a GradientTape, a Mean loss tracker, the
# metrics property). Author: François Chollet. Licence: MIT.
# Cells 53 (data), 87-89. Changed for the tests: the imports (below; cell 87's own
# imports are in it), the data (standin.py's MNIST stand-in: 6,000 images, reshape count
# 6000), epochs 3 -> 2, and the last line, which reports the key figures (`history =`
# keeps fit's result for it).
import os
if os.environ.get("REFERENCE"):
    import keras
    from keras import layers
    import tensorflow as tf
else:
    import fastnn as keras
    from fastnn import layers
    import fastnn as tf
from standin import mnist, report

(images, labels), (test_images, test_labels) = mnist.load_data()
images = images.reshape((6000, 28 * 28)).astype("float32") / 255
test_images = test_images.reshape((1000, 28 * 28)).astype("float32") / 255
train_images, val_images = images[1000:], images[:1000]
train_labels, val_labels = labels[1000:], labels[:1000]

loss_fn = keras.losses.SparseCategoricalCrossentropy()
loss_tracker = keras.metrics.Mean(name="loss")

class CustomModel(keras.Model):
    def train_step(self, data):
        inputs, targets = data
        with tf.GradientTape() as tape:
            predictions = self(inputs, training=True)
            loss = loss_fn(targets, predictions)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)

        loss_tracker.update_state(loss)
        return {"loss": loss_tracker.result()}

    @property
    def metrics(self):
        return [loss_tracker]

def get_custom_model():
    inputs = keras.Input(shape=(28 * 28,))
    features = layers.Dense(512, activation="relu")(inputs)
    features = layers.Dropout(0.5)(features)
    outputs = layers.Dense(10, activation="softmax")(features)
    model = CustomModel(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam())
    return model

model = get_custom_model()
history = model.fit(train_images, train_labels, epochs=2)

import numpy as np
test_acc = np.mean(np.argmax(model.predict(test_images), axis=1) == test_labels)
report(loss=history.history["loss"][-1], test_acc=test_acc)
