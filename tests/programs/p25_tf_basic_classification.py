# Source: https://www.tensorflow.org/tutorials/keras/classification
# (https://github.com/tensorflow/docs/blob/master/site/en/tutorials/keras/classification.ipynb)
# "Basic classification: Classify images of clothing", The TensorFlow Authors.
# Licence: Apache 2.0 (code), MIT (the François Chollet parts, as the notebook states).
# Changed for the tests: the imports (below), the data (standin.py's Fashion-MNIST
# stand-in: 6,000 + 1,000 images), epochs 10 -> 4, and the last line, which reports the
# key figures (`history =` keeps fit's result). Plots and bare expressions are left out.
import os
if os.environ.get("REFERENCE") == "tensorflow":
    import tensorflow as tf
elif os.environ.get("REFERENCE"):
    import types
    import keras
    tf = types.SimpleNamespace(keras=keras)  # Keras 3 alone: only tf.keras is there
else:
    import fastnn as tf
import numpy as np
from standin import fashion_mnist as _fashion_mnist_stand_in, report

print(tf.__version__)

fashion_mnist = _fashion_mnist_stand_in

(train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()

class_names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']

train_images = train_images / 255.0

test_images = test_images / 255.0

model = tf.keras.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation='relu'),
    tf.keras.layers.Dense(10)
])

model.compile(optimizer='adam',
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])

history = model.fit(train_images, train_labels, epochs=4)

test_loss, test_acc = model.evaluate(test_images,  test_labels, verbose=2)

print('\nTest accuracy:', test_acc)

probability_model = tf.keras.Sequential([model, 
                                         tf.keras.layers.Softmax()])

predictions = probability_model.predict(test_images)

np.argmax(predictions[0])

# Grab an image from the test dataset.
img = test_images[1]

# Add the image to a batch where it's the only member.
img = (np.expand_dims(img,0))

predictions_single = probability_model.predict(img)

np.argmax(predictions_single[0])

report(loss=history.history["loss"][-1], test_loss=test_loss, test_acc=test_acc,
       predicted_agrees=float(np.argmax(predictions_single[0]) == np.argmax(predictions[1])))
